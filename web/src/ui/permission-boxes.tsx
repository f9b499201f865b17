/** The four permissions as checkboxes (each titled with what it lets one do), with the chosen set kept by the caller. */
import { useState } from 'preact/hooks';
import { MEANING, PERMISSIONS, type AppPermission } from '../permissions';

/** The chosen permissions, and a toggle for the boxes. */
export function usePermissionChoice(initial: Iterable<AppPermission>) {
  const [chosen, setChosen] = useState<ReadonlySet<AppPermission>>(new Set(initial));
  const toggle = (p: AppPermission, on: boolean) => setChosen((s) => {
    const next = new Set(s);
    if (on) next.add(p); else next.delete(p);
    return next;
  });
  return { chosen, toggle };
}

/** `fixed`: always given, shown checked and not changeable (a team's members always view). */
export function PermissionBoxes({ legend, chosen, toggle, fixed = [] }: {
  legend: string; chosen: ReadonlySet<AppPermission>; toggle: (p: AppPermission, on: boolean) => void; fixed?: readonly AppPermission[];
}) {
  return (
    <fieldset class="perm-boxes">
      <legend>{legend}</legend>
      {PERMISSIONS.map((p) => (
        <label key={p} title={MEANING[p]}>
          <input type="checkbox" checked={fixed.includes(p) || chosen.has(p)} disabled={fixed.includes(p)} onChange={(e) => toggle(p, e.currentTarget.checked)} /> {p}
        </label>
      ))}
    </fieldset>
  );
}
