import { render } from 'preact';
import '../../components/styles.css';
import { ApprovalApp } from './approval-app.tsx';

const requestId = new URLSearchParams(location.search).get('request');
render(<ApprovalApp initialRequestId={requestId} />, document.getElementById('app')!);
