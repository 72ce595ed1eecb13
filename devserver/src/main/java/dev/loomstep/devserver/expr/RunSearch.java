package dev.loomstep.devserver.expr;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.extensions.CelExtensions;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import java.util.Map;
import java.util.Optional;

/**
 * A runs-list search expression, as Inngest's dev server has one: CEL over a run's triggering
 * {@code event} ({@code event.name}, {@code event.data.*}, {@code event.user.*}), its {@code output}
 * (when the output is a JSON object; {@code output} stands for any other value) and the {@code run}
 * itself ({@code run.status}, {@code run.function_id}, {@code run.error.message}). Separate from the
 * trigger and wait expressions, which know only {@code event} and {@code async}.
 */
public final class RunSearch {
    private static final Cel CEL = CelFactory.standardCelBuilder()
            .setOptions(CelOptions.current().enableHeterogeneousNumericComparisons(true).comprehensionMaxIterations(100_000).build())
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .addCompilerLibraries(CelExtensions.strings())
            .addRuntimeLibraries(CelExtensions.strings())
            .addVar("event", MapType.create(SimpleType.STRING, SimpleType.DYN))
            .addVar("output", SimpleType.DYN)
            .addVar("run", MapType.create(SimpleType.STRING, SimpleType.DYN))
            .build();

    private final String source;
    private final CelRuntime.Program program;

    private RunSearch(String source, CelRuntime.Program program) {
        this.source = source;
        this.program = program;
    }

    /**
     * Compiles a search expression.
     *
     * @throws IllegalArgumentException with one line naming the expression and its first problem
     */
    public static RunSearch compile(String expression) {
        if (expression == null || expression.isBlank()) {
            throw new IllegalArgumentException("invalid expression \"" + expression + "\": it is empty");
        }
        CelValidationResult result = CEL.compile(expression);
        if (result.hasError()) {
            throw new IllegalArgumentException("invalid expression \"" + expression + "\": " + CelCompiler.describe(result));
        }
        try {
            return new RunSearch(expression, CEL.createProgram(result.getAst()));
        } catch (CelValidationException | CelEvaluationException e) {
            throw new IllegalArgumentException("invalid expression \"" + expression + "\": "
                    + CompiledExpression.oneLine(String.valueOf(e.getMessage())), e);
        }
    }

    public String source() {
        return source;
    }

    /**
     * Whether the run matches: the expression is {@code true} for it. Anything else is no match, an
     * evaluation error too (a field this run's event lacks), as with trigger expressions.
     */
    public boolean matches(JsonNode event, JsonNode output, JsonNode run) {
        Map<String, Object> vars = Map.of(
                "event", object(event),
                "output", output == null || output.isNull() ? Map.of() : CelValues.fromJson(output),
                "run", object(run));
        try {
            return Boolean.TRUE.equals(program.eval(name -> Optional.ofNullable(vars.get(name))));
        } catch (CelEvaluationException | RuntimeException e) {
            return false;
        }
    }

    private static Object object(JsonNode n) {
        return n != null && n.isObject() ? CelValues.fromJson(n) : Map.of();
    }
}
