using Lifeline.Testing.Leaks;
using Xunit.v3;

namespace Lifeline.Testing.Xunit;

/// <summary>
/// Runs one test inside its own <see cref="LeakScope"/> and checks it after the whole test: constructor,
/// <c>IAsyncLifetime.InitializeAsync</c>, before/after attributes, the method, <c>DisposeAsync</c> and <c>Dispose</c>.
/// A leak is added to the test's failures, so the test fails naming what it left running.
/// </summary>
internal sealed class LeakCheckingTestRunner(LeakCheckRun run) : XunitTestRunner
{
    protected override ValueTask<TimeSpan> RunTest(XunitTestRunnerContext ctxt)
    {
        ArgumentNullException.ThrowIfNull(ctxt);
        var method = ctxt.Test.TestMethod;
        return new(run.RunTestAsync(ScopeName(ctxt.Test), method.TestClass.Class, method.Method, () => base.RunTest(ctxt).AsTask(), ctxt.Aggregator.Add));
    }

    private static string ScopeName(IXunitTest test)
    {
        // "ClientTests.Stop_EndsAllLoops", keeping a theory row's arguments from the display name.
        var name = $"{test.TestMethod.TestClass.Class.Name}.{test.TestMethod.Method.Name}";
        var display = test.TestDisplayName;
        var arguments = display.IndexOf('(', StringComparison.Ordinal);
        return arguments >= 0 ? name + display[arguments..] : name;
    }
}
