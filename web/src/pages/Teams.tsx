import { Placeholder } from './Placeholder';

export function Teams() {
  return <Placeholder title="Teams" />;
}
