import { Placeholder } from './Placeholder';

export function Users() {
  return <Placeholder title="Users" />;
}
