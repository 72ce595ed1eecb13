package dev.loomstep.devserver.expr;

import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelIssue;
import dev.cel.common.CelOptions;
import dev.cel.common.CelOverloadDecl;
import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.extensions.CelExtensions;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelFunctionBinding;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

/**
 * Compiles the CEL expressions Inngest functions carry (trigger {@code expression}, waitForEvent
 * {@code if}, cancellation {@code if}, flow-control {@code key}s, {@code priority.run}) into reusable
 * {@link CompiledExpression}s, cached by text.
 *
 * <p>The environment declares {@code event} and {@code async} as maps of dynamic values, the standard
 * CEL functions and macros ({@code has}, {@code exists}, {@code all}, {@code map}, {@code filter}), the
 * CEL string extension ({@code lowerAscii}, {@code split}, {@code replace}, {@code trim}, ...), and
 * Inngest's {@code lowercase(s)} and {@code uppercase(s)}. Ints and doubles compare with each other,
 * so {@code event.data.n == 1} holds whether the JSON says {@code 1} or {@code 1.0}.
 *
 * <p>Unlike Inngest's evaluator, which treats a missing field as null, a missing field here is an
 * evaluation error, and {@link CompiledExpression#matches} reports it as no match; use
 * {@code has(event.data.x)} to test for presence.
 */
public final class CelCompiler {
    /** Compiled programs kept; an app rarely has more than a few hundred distinct expressions. */
    static final int CACHE_SIZE = 1024;

    private static final Cel CEL = CelFactory.standardCelBuilder()
            .setOptions(CelOptions.current()
                    .enableHeterogeneousNumericComparisons(true)
                    .comprehensionMaxIterations(100_000)
                    .build())
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .addCompilerLibraries(CelExtensions.strings())
            .addRuntimeLibraries(CelExtensions.strings())
            .addVar("event", MapType.create(SimpleType.STRING, SimpleType.DYN))
            .addVar("async", MapType.create(SimpleType.STRING, SimpleType.DYN))
            .addFunctionDeclarations(
                    CelFunctionDecl.newFunctionDeclaration("lowercase",
                            CelOverloadDecl.newGlobalOverload("lowercase_string", SimpleType.STRING, SimpleType.STRING)),
                    CelFunctionDecl.newFunctionDeclaration("uppercase",
                            CelOverloadDecl.newGlobalOverload("uppercase_string", SimpleType.STRING, SimpleType.STRING)))
            .addFunctionBindings(
                    CelFunctionBinding.from("lowercase_string", String.class, s -> s.toLowerCase(Locale.ROOT)),
                    CelFunctionBinding.from("uppercase_string", String.class, s -> s.toUpperCase(Locale.ROOT)))
            .build();

    private static final ReentrantLock CACHE_LOCK = new ReentrantLock();
    private static final Map<String, CompiledExpression> CACHE = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, CompiledExpression> eldest) {
            return size() > CACHE_SIZE;
        }
    };

    /** A dotted field path such as {@code data.user_id} or {@code user.email}. */
    private static final Pattern FIELD_PATH = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*");

    private CelCompiler() {}

    /**
     * Compiles (or returns the cached compilation of) a CEL expression.
     *
     * @throws IllegalArgumentException with a one-line message naming the expression and the problem,
     *     for syntax errors, unknown variables or functions, and blank input
     */
    public static CompiledExpression compile(String expression) {
        if (expression == null || expression.isBlank()) {
            throw new IllegalArgumentException("invalid expression \"" + expression + "\": it is empty");
        }
        CompiledExpression cached = cached(expression);
        if (cached != null) {
            return cached;
        }
        // Compile outside the lock: two threads may race to compile the same text, which is harmless.
        CompiledExpression compiled = doCompile(expression);
        CACHE_LOCK.lock();
        try {
            CompiledExpression raced = CACHE.putIfAbsent(expression, compiled);
            return raced != null ? raced : compiled;
        } finally {
            CACHE_LOCK.unlock();
        }
    }

    /**
     * Checks that an expression compiles, for validating a function's config at sync time.
     *
     * @throws IllegalArgumentException as {@link #compile(String)}
     */
    public static void validate(String expression) {
        compile(expression);
    }

    /**
     * The CEL for waitForEvent's legacy {@code match} field: {@code "data.user_id"} means the waiting
     * run's event and the incoming one agree on that field, {@code event.data.user_id == async.data.user_id}.
     * A leading {@code event.} or {@code async.} is tolerated.
     *
     * @throws IllegalArgumentException when {@code match} is not a dotted field path
     */
    public static String fromMatchField(String match) {
        String field = match == null ? "" : match.strip();
        if (field.startsWith("event.")) {
            field = field.substring("event.".length());
        } else if (field.startsWith("async.")) {
            field = field.substring("async.".length());
        }
        if (!FIELD_PATH.matcher(field).matches()) {
            throw new IllegalArgumentException("invalid waitForEvent match \"" + match
                    + "\": expected a dotted field path such as data.user_id");
        }
        return "event." + field + " == async." + field;
    }

    /**
     * The effective waitForEvent condition: {@code if} when given, else the legacy {@code match}
     * converted, else {@code null} (any event of the awaited name matches).
     */
    public static String waitForEventCondition(String ifExpression, String match) {
        if (ifExpression != null && !ifExpression.isBlank()) {
            return ifExpression;
        }
        if (match != null && !match.isBlank()) {
            return fromMatchField(match);
        }
        return null;
    }

    static int cacheSize() {
        CACHE_LOCK.lock();
        try {
            return CACHE.size();
        } finally {
            CACHE_LOCK.unlock();
        }
    }

    private static CompiledExpression cached(String expression) {
        CACHE_LOCK.lock();
        try {
            return CACHE.get(expression);
        } finally {
            CACHE_LOCK.unlock();
        }
    }

    private static CompiledExpression doCompile(String expression) {
        CelValidationResult result = CEL.compile(expression);
        if (result.hasError()) {
            throw new IllegalArgumentException("invalid expression \"" + expression + "\": " + describe(result));
        }
        try {
            return new CompiledExpression(expression, CEL.createProgram(result.getAst()));
        } catch (CelValidationException | CelEvaluationException e) {
            throw new IllegalArgumentException("invalid expression \"" + expression + "\": "
                    + CompiledExpression.oneLine(String.valueOf(e.getMessage())), e);
        }
    }

    static String describe(CelValidationResult result) {
        CelIssue first = result.getErrors().get(0);
        String where = first.getSourceLocation().getLine() > 0
                ? " (line " + first.getSourceLocation().getLine() + ", column " + (first.getSourceLocation().getColumn() + 1) + ")"
                : "";
        int more = result.getErrors().size() - 1;
        return CompiledExpression.oneLine(first.getMessage()) + where + (more > 0 ? " and " + more + " more problem(s)" : "");
    }
}
