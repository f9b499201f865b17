import { expect } from 'chai';
import { ERROR_CODES, SlipwayError, isSlipwayError, toErrorBody, type ErrorCode } from '../../../lib/errors';

describe('lib/errors', () => {
  const codes = Object.keys(ERROR_CODES) as ErrorCode[];

  it('gives every error code an HTTP error status', () => {
    expect(codes).to.not.be.empty;
    for (const code of codes) {
      const status = ERROR_CODES[code];
      expect(Number.isInteger(status), code).to.equal(true);
      expect(status, code).to.be.within(400, 599);
      expect(new SlipwayError(code, 'x').status, code).to.equal(status);
    }
  });

  it('maps the errors users meet most to the statuses clients expect', () => {
    expect(ERROR_CODES).to.include({
      invalid_request: 400,
      unauthorized: 401,
      forbidden: 403,
      app_not_found: 404,
      key_not_found: 404,
      release_not_found: 404,
      app_exists: 409,
      key_exists: 409,
      invalid_app_name: 422,
      invalid_key: 422,
      deploy_failed: 422,
      internal: 500,
    });
  });

  it('turns a SlipwayError into its status and a body with its code and message', () => {
    const error = new SlipwayError('app_not_found', 'Couldn\'t find an app named "shop".');
    expect(toErrorBody(error)).to.deep.equal({
      status: 404,
      body: { error: { code: 'app_not_found', message: 'Couldn\'t find an app named "shop".' } },
    });
  });

  it('answers 500 internal for any other error without leaking its message', () => {
    const secret = 'connect ECONNREFUSED mysql://root:hunter2@10.0.0.5';
    for (const thrown of [new Error(secret), new TypeError(secret), secret, { code: 'app_exists', message: secret }, undefined]) {
      const { status, body } = toErrorBody(thrown);
      expect(status).to.equal(500);
      expect(body.error.code).to.equal('internal');
      expect(body.error.message).to.equal('Internal error: the platform log has the details.');
      expect(JSON.stringify(body)).not.to.include('hunter2');
    }
  });

  it('keeps the cause of a SlipwayError for the logs', () => {
    const cause = new Error('docker said no');
    const error = new SlipwayError('deploy_failed', 'web process exited while starting', { cause });
    expect(error.cause).to.equal(cause);
    expect(error).to.be.instanceOf(Error);
    expect(error.name).to.equal('SlipwayError');
    expect(isSlipwayError(error)).to.equal(true);
    expect(isSlipwayError(cause)).to.equal(false);
  });
});
