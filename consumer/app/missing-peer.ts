// Imports an integration whose optional peer (redis) this project did not install: must fail
// with the package's name and the install command. (Not type-checked: its types import redis's.)
try {
  await import('@hostkit/adapters/redis');
  console.log('missing-peer: imported without redis');
} catch (error) {
  console.log(`missing-peer: ${error instanceof Error ? error.message : String(error)}`);
}
