/** A case's history entries as sentences with names: "值班员 王敏 派遣，派往 市环卫处：…". */
import { label, t } from './i18n';
import { session, unitName, userName } from './session';

/** An action's name from central's transition table (meta.json), in the current language. */
export const actionName = (a: string): string => label(session.meta?.transitions[a], a);

/** edge notes are English machine text ("cause gone at …"): the sentence says it instead */
const machineNote = (n?: string) => !n || /^(cause gone|incident|rev \d)/i.test(n);

export function sentence(h: any): string {
  const who = userName(h.actor?.id, h.actor?.role);
  let s: string;
  switch (h.action) {
    case 'report':
      s = t('hReport', { who });
      break;
    case 'incident_update':
      return t('hIncidentUpdate');
    case 'incident_end':
      return t('hIncidentEnd');
    case 'evaluate':
      return t('hEvaluate', { ok: h.data?.onTime ? t('hOk') : t('hLate') });
    case 'merged_in':
      s = t('hMergedIn', { who });
      break;
    default:
      s = t('hAction', { who, action: actionName(h.action) });
      if (h.action === 'dispatch' && h.data?.unitId)
        s += t('hToUnit', { u: unitName(String(h.data.unitId)) });
  }
  if (!machineNote(h.note)) s += t('hNote', { n: h.note });
  return s;
}
