using System.Reflection;
using Lifeline.Testing.Leaks;
using Xunit.Sdk;
using Xunit.v3;

namespace Lifeline.Testing.Xunit;

/// <summary>The xunit.v3 test framework behind <see cref="VerifyNoLeaksAttribute"/>: xunit's own, with a leak check after each test.</summary>
public sealed class LeakCheckingTestFramework : XunitTestFramework
{
    /// <summary>Creates the framework; xunit calls this.</summary>
    public LeakCheckingTestFramework()
    {
    }

    /// <summary>Creates the framework with a configuration file; xunit calls this.</summary>
    public LeakCheckingTestFramework(string? configFileName)
        : base(configFileName)
    {
    }

    /// <inheritdoc />
    protected override ITestFrameworkExecutor CreateExecutor(Assembly assembly)
    {
        // The discoverer's test assembly is xunit's own, built with this framework's configuration file: the same
        // identity discovery gave the test cases.
        var discoverer = (XunitTestFrameworkDiscoverer)CreateDiscoverer(assembly);
        return new LeakCheckingExecutor(discoverer.TestAssembly);
    }
}

/// <summary>
/// Runs a test assembly's tests with <see cref="LeakCheckingAssemblyRunner"/>, and every test through
/// <see cref="LeakCheckingTestRunner"/> for the length of the run.
/// </summary>
internal sealed class LeakCheckingExecutor(IXunitTestAssembly testAssembly) : XunitTestFrameworkExecutor(testAssembly)
{
    public override async ValueTask RunTestCases(IReadOnlyCollection<IXunitTestCase> testCases, IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions, CancellationToken cancellationToken)
    {
        var settings = TestAssembly.Assembly.GetCustomAttribute<VerifyNoLeaksAttribute>()?.ToSettings() ?? new AssemblyLeakSettings();
        var run = new LeakCheckRun(settings, text => executionMessageSink.OnMessage(new DiagnosticMessage(text)));

        // xunit.v3 runs each test through the XunitTestRunner.Instance singleton, whatever runs its test case
        // (facts, theories, delay-enumerated theories): replacing it for the run checks every test. A test process
        // runs one test assembly, so nothing else shares it.
        var original = XunitTestRunner.Instance;
        XunitTestRunner.Instance = new LeakCheckingTestRunner(run);
        try
        {
            await new LeakCheckingAssemblyRunner(run).Run(TestAssembly, testCases, executionMessageSink, executionOptions, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            XunitTestRunner.Instance = original;
        }
    }
}
