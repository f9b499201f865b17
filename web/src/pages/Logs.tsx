import { Placeholder } from './Placeholder';

export function Logs({ app }: { app: string }) {
  return <Placeholder title="Logs" app={app} tab="logs" />;
}
