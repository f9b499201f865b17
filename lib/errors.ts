/**
 * Every error a user can see has a stable code, a readable message (what went wrong and what
 * to do) and an HTTP status, all from one table. The API maps errors to responses only here.
 */
export const ERROR_CODES = {
  invalid_config: 500,
  invalid_request: 400,
  invalid_config_value: 422,
  config_too_large: 422,
  payload_too_large: 413,
  invalid_app_name: 422,
  invalid_key: 422,
  unauthorized: 401,
  session_expired: 401,
  csrf_refused: 403,
  forbidden: 403,
  not_found: 404,
  app_not_found: 404,
  team_not_found: 404,
  key_not_found: 404,
  release_not_found: 404,
  build_not_found: 404,
  instance_not_found: 404,
  app_exists: 409,
  key_exists: 409,
  confirmation_required: 400,
  build_failed: 422,
  nothing_detected: 422,
  deploy_failed: 422,
  insufficient_capacity: 409,
  no_release: 409,
  invalid_domain: 422,
  domain_taken: 409,
  domain_not_found: 404,
  invalid_certificate: 422,
  cert_not_found: 404,
  registry_unavailable: 502,
  registry_delete_disabled: 502,
  secrets_unreadable: 500,
  // Accounts, tokens, teams (issue 11): docs/contracts/api.md "Accounts and access (issue 11)".
  login_failed: 401,
  login_throttled: 429,
  token_expired: 401,
  token_revoked: 401,
  user_disabled: 401,
  user_exists: 409,
  user_not_found: 404,
  invalid_user_name: 422,
  invalid_email: 422,
  invalid_password: 422,
  wrong_password: 403,
  invalid_token_request: 422,
  token_not_found: 404,
  team_exists: 409,
  invalid_team_name: 422,
  invalid_permissions: 422,
  member_not_found: 404,
  member_exists: 409,
  last_team_admin: 409,
  collaborator_not_found: 404,
  addon_not_found: 404,
  addon_exists: 409,
  addon_attached: 409,
  addon_not_ready: 409,
  addon_other_team: 409,
  attachment_exists: 409,
  attachment_not_found: 404,
  config_var_owned: 409,
  backup_not_found: 404,
  backup_failed: 422,
  metrics_unavailable: 503,
  invalid_drain: 422,
  drain_exists: 409,
  drain_not_found: 404,
  // Persistent volumes (issue 12 item 7): docs/storage.md.
  invalid_mount_path: 422,
  invalid_volume_size: 422,
  mount_exists: 409,
  mount_not_found: 404,
  volume_in_use: 409,
  drain_address_refused: 422,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class SlipwayError extends Error {
  override readonly name = 'SlipwayError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get status(): number {
    return ERROR_CODES[this.code];
  }
}

export function isSlipwayError(error: unknown): error is SlipwayError {
  return error instanceof SlipwayError;
}

/** The JSON body the API answers with; the CLI shows `message` as one line. */
export interface ErrorBody {
  error: { code: string; message: string };
}

export function toErrorBody(error: unknown): { status: number; body: ErrorBody } {
  if (isSlipwayError(error)) {
    return { status: error.status, body: { error: { code: error.code, message: error.message } } };
  }
  return {
    status: 500,
    body: { error: { code: 'internal', message: 'Internal error: the platform log has the details.' } },
  };
}
