import type { Command } from 'commander';
import { failureText } from './program';

/** `ecgflow codec-server`: the Temporal Web UI's codec endpoint, which decrypts payloads for it. */
export function registerCodecCommands(program: Command): void {
  program
    .command('codec-server')
    .description('serve the codec endpoint of the Temporal Web UI (POST /encode, /decode) on ECGFLOW_CODEC_HOST:ECGFLOW_CODEC_PORT until Ctrl-C; needs ECGFLOW_PAYLOAD_KEYS')
    .option('--json', 'accepted for symmetry: the codec server always logs JSON')
    .action(async () => {
      try {
        await (await import('../codec-server/main')).runCodecServer();
      } catch (error) {
        process.stderr.write(`ecgflow: ${await failureText(error)}\n`);
        process.exitCode = 1;
      }
    });
}
