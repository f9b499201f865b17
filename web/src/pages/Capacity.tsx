import { Placeholder } from './Placeholder';

export function Capacity() {
  return <Placeholder title="Capacity" />;
}
