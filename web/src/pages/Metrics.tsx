import { Placeholder } from './Placeholder';

export function Metrics({ app }: { app: string }) {
  return <Placeholder title="Metrics" app={app} tab="metrics" />;
}
