import { Placeholder } from './Placeholder';

export function Team({ team }: { team: string }) {
  return <Placeholder title={`Team ${team}`} />;
}
