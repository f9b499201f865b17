import { Placeholder } from './Placeholder';

export function AddOns({ app }: { app: string }) {
  return <Placeholder title="Add-ons" app={app} tab="addons" />;
}
