/**
 * Heroku-style app names for `apps:create` without a name: `adjective-noun-1234`. At most
 * 9 + 1 + 8 + 1 + 4 = 23 characters, always a valid app name (lib/app-name.ts).
 */
const ADJECTIVES = [
  'ancient', 'autumn', 'billowing', 'bold', 'brave', 'calm', 'cold', 'cosmic', 'crisp', 'damp', 'dark', 'dawn',
  'fierce', 'floral', 'fresh', 'frosty', 'gentle', 'glacial', 'golden', 'hidden', 'icy', 'lively', 'lucky',
  'misty', 'morning', 'polar', 'proud', 'quiet', 'rapid', 'shy', 'silent', 'snowy', 'solitary', 'sparkling',
  'still', 'sunny', 'swift', 'tranquil', 'twilight', 'wandering', 'warm', 'wild', 'winter', 'young',
];

const NOUNS = [
  'bay', 'brook', 'butterfly', 'cave', 'cliff', 'cloud', 'coast', 'dawn', 'dew', 'dream', 'dune', 'falls',
  'field', 'fire', 'flower', 'forest', 'frog', 'glade', 'harbor', 'haze', 'hill', 'island', 'lake', 'leaf',
  'meadow', 'moon', 'mountain', 'ocean', 'peak', 'pine', 'plains', 'river', 'sea', 'shadow', 'shore', 'sky',
  'snow', 'star', 'stream', 'sun', 'thunder', 'tree', 'valley', 'wave', 'wind', 'wood',
];

/** `random` returns a number in [0, 1), like Math.random (the default). */
export function randomAppName(random: () => number = Math.random): string {
  const pick = (list: readonly string[]): string => list[Math.floor(random() * list.length)]!;
  const number = String(1000 + Math.floor(random() * 9000));
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${number}`;
}
