using System.Reflection;
using Lifeline.Testing.Leaks;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Lifeline.Testing.Xunit;

/// <summary>
/// Runs one test inside its own <see cref="LeakScope"/> and checks it after the whole test: constructor,
/// <c>IAsyncLifetime.InitializeAsync</c>, the method, <c>DisposeAsync</c> and <c>Dispose</c>. A leak is added to the
/// test's failures, so the test fails naming what it left running.
/// </summary>
internal sealed class LeakCheckingTestRunner(LeakCheckRun run, ITest test, IMessageBus messageBus, Type testClass, object[] constructorArguments, MethodInfo testMethod, object[] testMethodArguments, string skipReason, IReadOnlyList<BeforeAfterTestAttribute> beforeAfterAttributes, ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource)
    : XunitTestRunner(test, messageBus, testClass, constructorArguments, testMethod, testMethodArguments, skipReason, beforeAfterAttributes, aggregator, cancellationTokenSource)
{
    protected override Task<decimal> InvokeTestMethodAsync(ExceptionAggregator aggregator)
        => run.RunTestAsync(ScopeName(), TestClass, TestMethod, () => base.InvokeTestMethodAsync(aggregator), aggregator.Add);

    private string ScopeName()
    {
        // "ClientTests.Stop_EndsAllLoops", keeping a theory row's arguments from the display name.
        var name = $"{TestClass.Name}.{TestMethod.Name}";
        var arguments = DisplayName.IndexOf('(', StringComparison.Ordinal);
        return arguments >= 0 ? name + DisplayName[arguments..] : name;
    }
}
