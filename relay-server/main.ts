import { ConfigError, loadConfig } from './config.ts';
import { DEMO_USERS } from './demo/seed-demo.ts';
import { createRelay } from './relay.ts';

/** `npm run relay`: configuration from the environment, then serve until SIGTERM. */
async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const { config, adminTokenCreated, warnings } = loaded;
  for (const warning of warnings) console.warn(`Warning: ${warning}`);
  const relay = await createRelay({ config });
  await relay.listen();
  const lines = [
    '',
    `Countersign relay listening on ${relay.origin}`,
    `  Sign-in page:   ${relay.origin}/signin?app=demo`,
    `  Security info:  ${relay.origin}/security-info`,
    `  Admin:          ${relay.origin}/admin`,
    `  Data:           ${config.dataDir}`,
  ];
  if (adminTokenCreated) lines.push(`  Admin token (generated, stored in ${config.dataDir}/admin-token; shown once): ${config.adminToken}`);
  if (config.demo) {
    lines.push('  Demo accounts:');
    for (const user of DEMO_USERS) lines.push(`    ${user.upn.padEnd(18)} password ${user.password}${user.isAdmin ? '  (admin)' : ''}`);
  }
  console.log(lines.join('\n') + '\n');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: closing device sockets and finishing writes...`);
    relay.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('The relay could not start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
