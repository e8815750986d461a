/**
 * The API's general refusal: a module throws ApiRefusal with a code from the Candid `ApiError` vocabulary, and
 * `result`/`asyncResult` in api.ts turn it into `{ Err: { code, message } }`. Any other exception is a bug.
 */
export class ApiRefusal extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
