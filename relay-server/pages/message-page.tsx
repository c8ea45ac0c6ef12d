/** @jsxImportSource hono/jsx */
import type { Child } from 'hono/jsx';
import { Layout, type Viewer } from './layout.tsx';

/** A page that only says something went wrong (or right), with a way on. */
export function MessagePage(props: {
  title: string;
  children?: Child;
  viewer?: Viewer | undefined;
  links?: { href: string; label: string }[];
}) {
  return (
    <Layout title={props.title} viewer={props.viewer}>
      <h1>{props.title}</h1>
      {props.children}
      {props.links && props.links.length > 0 ? (
        <div class="links">
          {props.links.map((link) => (
            <a href={link.href}>{link.label}</a>
          ))}
        </div>
      ) : null}
    </Layout>
  );
}
