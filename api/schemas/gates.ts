import { Type } from 'typebox';

/** The promotion gates a retraining or a promotion to production is judged by (common/retrain-gates.ts checks the rest). */
export const Gates = Type.Object(
  {
    metric: Type.Optional(Type.Union([Type.Literal('rocAuc'), Type.Literal('accuracy'), Type.Literal('f1')])),
    minRocAuc: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    minAccuracy: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    maxRegression: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  },
  { additionalProperties: false },
);
