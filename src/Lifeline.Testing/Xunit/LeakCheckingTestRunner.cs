using System.Reflection;
using Lifeline.Testing.Leaks;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Lifeline.Testing.Xunit;

/// <summary>The options and session one test is checked with.</summary>
internal sealed record LeakCheck(LeakCheckSession Session, LeakOptions Options);

/// <summary>
/// Runs one test inside its own <see cref="LeakScope"/> and checks it after the whole test: constructor,
/// <c>IAsyncLifetime.InitializeAsync</c>, the method, <c>DisposeAsync</c> and <c>Dispose</c>. A leak is added to the
/// test's failures, so the test fails naming what it left running.
/// </summary>
internal sealed class LeakCheckingTestRunner(LeakCheck check, ITest test, IMessageBus messageBus, Type testClass, object[] constructorArguments, MethodInfo testMethod, object[] testMethodArguments, string skipReason, IReadOnlyList<BeforeAfterTestAttribute> beforeAfterAttributes, ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource)
    : XunitTestRunner(test, messageBus, testClass, constructorArguments, testMethod, testMethodArguments, skipReason, beforeAfterAttributes, aggregator, cancellationTokenSource)
{
    protected override async Task<decimal> InvokeTestMethodAsync(ExceptionAggregator aggregator)
    {
        // Nested under the current scope, if any: a test run started inside another test counts against it too.
        var scope = LeakVerifier.CreateScope(ScopeName(), check.Options, LeakScope.Current);

        // Started under the scope; this method itself resumes outside it, so it is never its own finding.
        var elapsed = await scope.RunAsync(() => base.InvokeTestMethodAsync(aggregator)).ConfigureAwait(false);
        var report = await scope.VerifyAsync().ConfigureAwait(false);
        if (report.UnsupportedReason is { } reason)
        {
            if (check.Session.TakeUnsupportedFailure(reason) is { } failure)
            {
                aggregator.Add(failure);
            }
        }
        else if (report.HasLeaks)
        {
            aggregator.Add(new LeakException(report));
        }

        return elapsed;
    }

    private string ScopeName()
    {
        // "ClientTests.Stop_EndsAllLoops", keeping a theory row's arguments from the display name.
        var name = $"{TestClass.Name}.{TestMethod.Name}";
        var arguments = DisplayName.IndexOf('(', StringComparison.Ordinal);
        return arguments >= 0 ? name + DisplayName[arguments..] : name;
    }
}
