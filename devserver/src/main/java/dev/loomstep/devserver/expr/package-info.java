/**
 * CEL expressions over Inngest events: {@link dev.loomstep.devserver.expr.CelCompiler#compile} gives a
 * cached, thread-safe {@link dev.loomstep.devserver.expr.CompiledExpression} evaluated with {@code event}
 * and {@code async}.
 */
package dev.loomstep.devserver.expr;
