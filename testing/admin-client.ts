import * as v from 'valibot';
import {
  AdminUserResponse,
  CompleteSigninResponse,
  CreateUserResponse,
  IssueTapResponse,
  PairingOfferResponse,
  type SigninLogEntry,
  SigninsResponse,
  CreateSigninResponse,
  PolicySchema,
  SigninStatusResponse,
  parse,
  type CreateSigninBody,
  type CreateUserBody,
  type IssueTapBody,
  type Policy,
} from '../protocol/index.ts';
import { readServerSentEvents } from './event-stream-parser.ts';

/**
 * Typed clients for the relay's HTTP API: `AdminClient` for docs/protocol.md section 7 (Bearer
 * ADMIN_TOKEN) and `SigninClient` for the browser side of section 5. Every 4xx/5xx becomes a
 * `RelayHttpError` carrying the relay's stable `code`, which is what tests should assert.
 */

/** A relay answer that was not the expected success: `code` from `{error: {code, message}}`. */
export class RelayHttpError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'RelayHttpError';
  }
}

const ErrorBody = v.object({ error: v.object({ code: v.string(), message: v.optional(v.string()) }) });

/** Turns a failed response into an error; a body without a code gets `http_{status}`. */
export async function relayHttpErrorFrom(response: Response, what: string): Promise<RelayHttpError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy page, an empty body): the status is all there is.
  }
  const parsed = v.safeParse(ErrorBody, body);
  const code = parsed.success ? parsed.output.error.code : `http_${response.status}`;
  const detail = parsed.success && parsed.output.error.message ? `: ${parsed.output.error.message}` : '';
  return new RelayHttpError(code, response.status, `${what} failed with ${response.status} ${code}${detail}`);
}

export interface ClientOptions {
  /** Defaults to the global fetch; tests pass a fake. */
  fetch?: typeof fetch;
}

type JsonSchema = v.GenericSchema;

/** One request with a JSON body and a JSON (or empty) answer; shared by both clients. */
class RelayHttp {
  private readonly fetch: typeof fetch;

  constructor(
    readonly relayOrigin: string,
    options: ClientOptions,
  ) {
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  async request(input: {
    method: 'GET' | 'POST' | 'PUT' | 'DELETE';
    path: string;
    bearer?: string;
    body?: unknown;
    /** The success status, or the statuses, the call may answer with. */
    expect: number | readonly number[];
  }): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (input.bearer !== undefined) headers.authorization = `Bearer ${input.bearer}`;
    if (input.body !== undefined) headers['content-type'] = 'application/json';
    const response = await this.fetch(`${this.relayOrigin}${input.path}`, {
      method: input.method,
      headers,
      body: input.body === undefined ? null : JSON.stringify(input.body),
    });
    const expected = typeof input.expect === 'number' ? [input.expect] : input.expect;
    if (!expected.includes(response.status)) throw await relayHttpErrorFrom(response, `${input.method} ${input.path}`);
    return response;
  }

  async json<TSchema extends JsonSchema>(schema: TSchema, input: Parameters<RelayHttp['request']>[0]): Promise<v.InferOutput<TSchema>> {
    const response = await this.request(input);
    const parsed = parse(schema, await response.json());
    if (!parsed.ok) {
      throw new RelayHttpError('invalid_response', response.status, `${input.method} ${input.path}: ${parsed.message}`);
    }
    return parsed.value;
  }
}

const segment = encodeURIComponent;

// ---- Section 7: admin API ----

// The answers' schemas are the protocol's (protocol/admin-messages.ts); these names are the kit's.
const CreatedUser = CreateUserResponse;
const AdminUser = AdminUserResponse;
const PairingOffer = PairingOfferResponse;
const TemporaryAccessPass = IssueTapResponse;
const SigninList = SigninsResponse;

export type CreatedUser = v.InferOutput<typeof CreatedUser>;
export type AdminUser = v.InferOutput<typeof AdminUser>;
export type PairingOffer = v.InferOutput<typeof PairingOffer>;
export type TemporaryAccessPass = v.InferOutput<typeof TemporaryAccessPass>;
export type SigninRecord = v.InferOutput<typeof SigninLogEntry>;

export class AdminClient {
  private readonly http: RelayHttp;

  /** @example new AdminClient(relay.origin, relay.adminToken) */
  constructor(
    relayOrigin: string,
    private readonly adminToken: string,
    options: ClientOptions = {},
  ) {
    this.http = new RelayHttp(relayOrigin, options);
  }

  createUser(user: CreateUserBody): Promise<CreatedUser> {
    return this.http.json(CreatedUser, { method: 'POST', path: '/api/v1/admin/users', bearer: this.adminToken, body: user, expect: 201 });
  }

  getUser(upn: string): Promise<AdminUser> {
    return this.http.json(AdminUser, { method: 'GET', path: `/api/v1/admin/users/${segment(upn)}`, bearer: this.adminToken, expect: 200 });
  }

  /** A pairing offer; hand `link` to `VirtualDevice.pair()`. */
  createPairing(upn: string): Promise<PairingOffer> {
    return this.http.json(PairingOffer, {
      method: 'POST',
      path: `/api/v1/admin/users/${segment(upn)}/pairings`,
      bearer: this.adminToken,
      expect: 201,
    });
  }

  issueTap(upn: string, pass: IssueTapBody): Promise<TemporaryAccessPass> {
    return this.http.json(TemporaryAccessPass, {
      method: 'POST',
      path: `/api/v1/admin/users/${segment(upn)}/tap`,
      bearer: this.adminToken,
      body: pass,
      expect: 201,
    });
  }

  /** The relay answers 204 and sends `revoked` to the device. */
  async revokeDevice(deviceId: string): Promise<void> {
    await this.http.request({ method: 'DELETE', path: `/api/v1/admin/devices/${segment(deviceId)}`, bearer: this.adminToken, expect: 204 });
  }

  getPolicy(): Promise<Policy> {
    return this.http.json(PolicySchema, { method: 'GET', path: '/api/v1/admin/policy', bearer: this.adminToken, expect: 200 });
  }

  putPolicy(policy: Policy): Promise<Policy> {
    return this.http.json(PolicySchema, {
      method: 'PUT',
      path: '/api/v1/admin/policy',
      bearer: this.adminToken,
      body: policy,
      expect: 200,
    });
  }

  /** Newest first. */
  async listSignins(filter: { upn?: string; limit?: number } = {}): Promise<SigninRecord[]> {
    const query = new URLSearchParams();
    if (filter.upn !== undefined) query.set('upn', filter.upn);
    if (filter.limit !== undefined) query.set('limit', String(filter.limit));
    const search = query.size > 0 ? `?${query}` : '';
    const list = await this.http.json(SigninList, {
      method: 'GET',
      path: `/api/v1/admin/signins${search}`,
      bearer: this.adminToken,
      expect: 200,
    });
    return list.signins;
  }
}

// ---- Section 5: sign-in requests, browser side ----

export type CreatedSignin = v.InferOutput<typeof CreateSigninResponse>;
export type SigninStatus = v.InferOutput<typeof SigninStatusResponse>;
export type CompletedSignin = v.InferOutput<typeof CompleteSigninResponse> & {
  /** The `Set-Cookie` header of the session, or null when the relay sent none. */
  cookie: string | null;
};
/** What identifies a sign-in to its browser: the create answer fits as it is. */
export interface SigninHandle {
  requestId: string;
  browserToken: string;
}

export class SigninClient {
  private readonly http: RelayHttp;
  private readonly fetch: typeof fetch;

  constructor(
    readonly relayOrigin: string,
    options: ClientOptions = {},
  ) {
    this.http = new RelayHttp(relayOrigin, options);
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /** Throws `RelayHttpError` with `no_push_method`, `invalid_credentials`, `rate_limited`, … */
  createSignin(body: CreateSigninBody): Promise<CreatedSignin> {
    return this.http.json(CreateSigninResponse, { method: 'POST', path: '/api/v1/signins', body, expect: 201 });
  }

  getStatus(signin: SigninHandle): Promise<SigninStatus> {
    return this.http.json(SigninStatusResponse, {
      method: 'GET',
      path: `/api/v1/signins/${segment(signin.requestId)}`,
      bearer: signin.browserToken,
      expect: 200,
    });
  }

  /**
   * The `status` events of the Server-Sent Events stream, as they come; ends when the relay
   * closes the stream or `signal` aborts.
   */
  async *events(signin: SigninHandle, options: { signal?: AbortSignal } = {}): AsyncGenerator<SigninStatus> {
    const path = `/api/v1/signins/${segment(signin.requestId)}/events`;
    const response = await this.fetch(`${this.relayOrigin}${path}`, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${signin.browserToken}` },
      signal: options.signal ?? null,
    });
    if (response.status !== 200) throw await relayHttpErrorFrom(response, `GET ${path}`);
    if (!response.body) return;
    for await (const event of readServerSentEvents(response.body)) {
      if (event.event !== 'status') continue;
      const parsed = parse(SigninStatusResponse, JSON.parse(event.data));
      if (!parsed.ok) throw new RelayHttpError('invalid_response', 200, `GET ${path}: ${parsed.message}`);
      yield parsed.value;
    }
  }

  /** The first status other than `pending`, read from the event stream. */
  async waitForOutcome(signin: SigninHandle, options: { timeoutMs?: number } = {}): Promise<SigninStatus> {
    const signal = AbortSignal.timeout(options.timeoutMs ?? 10_000);
    try {
      for await (const status of this.events(signin, { signal })) {
        if (status.status !== 'pending') return status;
      }
    } catch (error) {
      if (signal.aborted) throw new RelayHttpError('timeout', 0, `sign-in ${signin.requestId} still pending`);
      throw error;
    }
    throw new RelayHttpError('stream_closed', 200, `the status stream of ${signin.requestId} ended while pending`);
  }

  async cancel(signin: SigninHandle): Promise<void> {
    await this.http.request({
      method: 'POST',
      path: `/api/v1/signins/${segment(signin.requestId)}/cancel`,
      bearer: signin.browserToken,
      expect: [200, 204],
    });
  }

  /** Turns an approved request into a session, once. */
  async complete(signin: SigninHandle): Promise<CompletedSignin> {
    const path = `/api/v1/signins/${segment(signin.requestId)}/complete`;
    const response = await this.http.request({ method: 'POST', path, bearer: signin.browserToken, expect: 200 });
    const parsed = parse(CompleteSigninResponse, await response.json());
    if (!parsed.ok) throw new RelayHttpError('invalid_response', 200, `POST ${path}: ${parsed.message}`);
    return { ...parsed.value, cookie: response.headers.get('set-cookie') };
  }
}
