import { DateInputError, parseDay, type DayRange } from '../../../common/dates';
import { HttpError } from '../../errors';

const DAY_MS = 86_400_000;

/**
 * `from`..`to` as given in a body or query, checked field by field: a day the calendar lacks, `to`
 * before `from`, or more days than `maxDays` is a 400 naming the field and the rule.
 */
export function checkedDayRange(input: { from: string; to: string }, where: 'body' | 'querystring', maxDays: number, tooLongHint: string): DayRange & { days: number } {
  const day = (name: 'from' | 'to') => {
    try {
      return parseDay(input[name], `${where}.${name}`);
    } catch (error) {
      if (error instanceof DateInputError) throw new HttpError(400, 'invalid_request', error.message, `${where}.${name}`, { rule: 'calendar_day' });
      throw error;
    }
  };
  const from = day('from');
  const to = day('to');
  if (to < from) throw new HttpError(400, 'invalid_request', `${where}.to: ${input.to} is before from (${input.from})`, `${where}.to`, { rule: 'from_before_to' });
  const days = Math.round((to.getTime() - from.getTime()) / DAY_MS) + 1;
  if (days > maxDays) {
    throw new HttpError(400, 'invalid_request', `${where}.to: ${input.from} to ${input.to} is ${days} days, more than the ${maxDays} allowed at once; ${tooLongHint}`, `${where}.to`, { rule: 'max_days' });
  }
  return { from: input.from, to: input.to, days };
}
