import { DateInputError, dayRangeOf, windowOfDays } from '../../common/dates';
import { HttpError } from '../errors';

/** A `date` query parameter as the window of that UTC day; a day the calendar lacks (2026-02-30) is a 400 naming it. */
export function dayWindowOf(date: string): { from: Date; to: Date } {
  try {
    return windowOfDays(dayRangeOf({ date }));
  } catch (error) {
    if (error instanceof DateInputError) throw new HttpError(400, 'invalid_request', `querystring.date: ${error.message}`, 'querystring.date', { rule: 'date' });
    throw error;
  }
}
