using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Lifeline.Testing.Xunit;

/// <summary>The xunit test framework behind <see cref="VerifyNoLeaksAttribute"/>.</summary>
public sealed class LeakCheckingTestFramework : XunitTestFramework
{
    /// <summary>Creates the framework; xunit calls this.</summary>
    public LeakCheckingTestFramework(IMessageSink messageSink)
        : base(messageSink)
    {
    }

    /// <inheritdoc />
    protected override ITestFrameworkExecutor CreateExecutor(AssemblyName assemblyName)
        => new XunitTestFrameworkExecutor(assemblyName, SourceInformationProvider, DiagnosticMessageSink);
}
