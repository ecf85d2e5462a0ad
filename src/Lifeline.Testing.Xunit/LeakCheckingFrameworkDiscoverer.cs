using Xunit.Abstractions;
using Xunit.Sdk;

namespace Lifeline.Testing.Xunit;

/// <summary>Tells xunit to run an assembly marked <see cref="VerifyNoLeaksAttribute"/> with <see cref="LeakCheckingTestFramework"/>.</summary>
public sealed class LeakCheckingFrameworkDiscoverer : ITestFrameworkTypeDiscoverer
{
    /// <inheritdoc />
    public Type GetTestFrameworkType(IAttributeInfo attribute) => typeof(LeakCheckingTestFramework);
}
