import { Placeholder } from './Placeholder';

export function Access({ app }: { app: string }) {
  return <Placeholder title="Access" app={app} tab="access" />;
}
