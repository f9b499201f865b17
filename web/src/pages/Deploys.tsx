import { Placeholder } from './Placeholder';

export function Deploys({ app }: { app: string }) {
  return <Placeholder title="Deploys" app={app} tab="deploys" />;
}
