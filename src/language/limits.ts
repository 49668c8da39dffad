/**
 * Nesting limit for messages, lists and parentheses. protobuf's own text parser stops at 100
 * levels too; past it a file is not a model description but an attack on the stack.
 */
export const MAX_NESTING = 100;
