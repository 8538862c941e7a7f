import { Type } from 'typebox';
import { GATE_METRICS } from '../../common/retrain-gates';

/** The promotion gates a retraining or a promotion to production is judged by (common/retrain-gates.ts checks the rest). */
export const Gates = Type.Object(
  {
    metric: Type.Optional(Type.Enum([...GATE_METRICS])),
    minRocAuc: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    minAccuracy: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    maxRegression: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  },
  { additionalProperties: false },
);
