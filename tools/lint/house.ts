/**
 * codex-login's own lint rule, run by `deno lint` (deno.json `lint.plugins`):
 * `house/max-function-lines` keeps every function (declaration, expression, arrow, method)
 * at 70 lines or fewer, signature and closing brace included. A longer one does more than
 * one thing: split it by concern.
 *
 * @module
 */

/** The most lines a function may span. */
export const MAX_FUNCTION_LINES = 70;

type Ranged = Deno.lint.Node & { range: [number, number] };

const plugin: Deno.lint.Plugin = {
  name: "house",
  rules: {
    "max-function-lines": {
      create(context) {
        const text = context.sourceCode.text;
        const lineOf = (offset: number) => text.slice(0, offset).split("\n").length;
        const check = (node: Ranged) => {
          const lines = lineOf(node.range[1]) - lineOf(node.range[0]) + 1;
          if (lines <= MAX_FUNCTION_LINES) return;
          context.report({
            node,
            message:
              `This function spans ${lines} lines (at most ${MAX_FUNCTION_LINES}): split it by concern.`,
          });
        };
        return {
          FunctionDeclaration: check,
          FunctionExpression: check,
          ArrowFunctionExpression: check,
        };
      },
    },
  },
};

export default plugin;
