/** The fake volumes against the contract the Docker adapter passes (test/integration/engine/docker-volumes.test.ts). */
import { volumesContract } from '../../../support/volumes-contract';
import { FakeVolumes } from './fake-volumes';

volumesContract('FakeVolumes', async () => {
  const port = new FakeVolumes();
  return {
    port,
    name: (label) => `vol-${label}`,
    appIds: [1, 2],
    use: async (name) => {
      port.inUse.add(name);
      return async () => { port.inUse.delete(name); };
    },
  };
});
