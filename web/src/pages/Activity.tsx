import { Placeholder } from './Placeholder';

export function Activity() {
  return <Placeholder title="Activity" />;
}
