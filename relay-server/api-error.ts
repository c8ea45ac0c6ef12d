import { ProtocolError, type ErrorCode } from '../protocol/errors.ts';

/** A ProtocolError with the HTTP status it answers with. */
export class ApiError extends ProtocolError {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 410 | 413 | 422 | 429 | 500 | 501 | 503,
    code: ErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}
