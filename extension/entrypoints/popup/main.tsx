import { render } from 'preact';
import '../../components/styles.css';
import { PopupApp } from './popup-app.tsx';

render(<PopupApp />, document.getElementById('app')!);
