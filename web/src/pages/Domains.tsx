import { Placeholder } from './Placeholder';

export function Domains({ app }: { app: string }) {
  return <Placeholder title="Domains" app={app} tab="domains" />;
}
