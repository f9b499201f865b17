/**
 * The pre-receive hook of every app repository (installed by GitRepositories). It relays the pushed
 * refs to Slipway's hook server and prints the build output, which git shows as `remote:` lines.
 * Its exit code decides: 0 accepts the push, anything else rejects it.
 */
import http from 'node:http';
import readline from 'node:readline';

function fail(message: string): never {
  process.stdout.write(` !     ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const pushId = process.env.SLIPWAY_PUSH_ID;
  const socketPath = process.env.SLIPWAY_HOOK_SOCKET;
  if (!pushId || !socketPath) fail('Pushes go through Slipway\'s SSH endpoint: git push slipway main');

  let refs = '';
  for await (const chunk of process.stdin) refs += String(chunk);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (key.startsWith('GIT_') && value) env[key] = value;

  const ok = await new Promise<boolean>((resolve) => {
    const request = http.request({ socketPath, path: `/push/${pushId}`, method: 'POST' }, (response) => {
      let verdict = false;
      const lines = readline.createInterface({ input: response });
      lines.on('line', (line) => {
        const message = JSON.parse(line) as { out?: string; ok?: boolean };
        if (typeof message.out === 'string') process.stdout.write(message.out);
        if (typeof message.ok === 'boolean') verdict = message.ok;
      });
      lines.on('close', () => resolve(verdict));
    });
    request.on('error', (error) => fail(`Slipway's builder is not reachable (${error.message}). Try again in a moment.`));
    request.end(JSON.stringify({ refs, env }));
  });
  process.exit(ok ? 0 : 1);
}

void main();
