/** @jsxImportSource hono/jsx */
import { CsrfField } from '../../pages/layout.tsx';
import type { UserDetails } from '../user-accounts.ts';
import { AdminLayout, FieldError, Upn, type AdminViewer, type FieldErrors } from './admin-layout.tsx';

export interface NewUserValues {
  upn: string;
  displayName: string;
  email: string;
  groups: string;
}

export function UsersPage(props: { viewer: AdminViewer; users: UserDetails[]; values: NewUserValues; errors: FieldErrors; now: number }) {
  return (
    <AdminLayout title="Users" viewer={props.viewer} current="/admin/users">
      <h1>Users</h1>
      {/* Rows stack as cards on small screens (app.css), each cell labelled by data-label. */}
      <table data-testid="user-table" class="stack-table">
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Name</th>
            <th scope="col">Groups</th>
            <th scope="col">Authenticators</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {props.users.map((user) => (
            <tr data-testid="user-row">
              <td data-label="User" class="upn">
                <a href={`/admin/users/${encodeURIComponent(user.userId)}`}>
                  <Upn upn={user.upn} />
                </a>
              </td>
              <td data-label="Name">{user.displayName}</td>
              <td data-label="Groups">{user.groups.length > 0 ? user.groups.join(', ') : '—'}</td>
              <td data-label="Authenticators">{user.devices.length}</td>
              <td data-label="Status">
                <UserStatus user={user} now={props.now} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <NewUserForm csrf={props.viewer.csrf} values={props.values} errors={props.errors} />
    </AdminLayout>
  );
}

function UserStatus({ user, now }: { user: UserDetails; now: number }) {
  if (user.atRisk)
    return (
      <span class="pill bad" data-testid="at-risk">
        At risk
      </span>
    );
  if (user.lockedUntil !== null && user.lockedUntil > now) return <span class="pill warn">Pushes locked for some addresses</span>;
  return <span class="pill ok">OK</span>;
}

const NEW_USER_FIELDS = [
  { field: 'upn', label: 'User principal name', type: 'text' },
  { field: 'displayName', label: 'Display name', type: 'text' },
  { field: 'email', label: 'Email (optional)', type: 'email' },
  { field: 'password', label: 'Password (optional, 8 or more characters)', type: 'password' },
  { field: 'groups', label: 'Groups (comma-separated)', type: 'text' },
] as const;

function NewUserForm({ csrf, values, errors }: { csrf: string; values: NewUserValues; errors: FieldErrors }) {
  return (
    <>
      <h2>Add a user</h2>
      <form method="post" action="/admin/users" data-testid="create-user-form" novalidate>
        <CsrfField token={csrf} />
        <div class="grid-2">
          {NEW_USER_FIELDS.map(({ field, label, type }) => (
            <div>
              <label for={`new-${field}`}>{label}</label>
              <input
                id={`new-${field}`}
                name={field}
                type={type}
                value={field === 'password' ? undefined : values[field]}
                autocomplete={field === 'password' ? 'new-password' : undefined}
                aria-invalid={errors[field] ? 'true' : undefined}
              />
              <FieldError errors={errors} field={field} />
            </div>
          ))}
        </div>
        <p class="field-hint">Without a password, issue a Temporary Access Pass so the user can register an authenticator.</p>
        <div class="actions start">
          <button type="submit" class="button">
            Add user
          </button>
        </div>
      </form>
    </>
  );
}
