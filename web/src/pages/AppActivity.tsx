import { Placeholder } from './Placeholder';

export function AppActivity({ app }: { app: string }) {
  return <Placeholder title="Activity" app={app} tab="activity" />;
}
