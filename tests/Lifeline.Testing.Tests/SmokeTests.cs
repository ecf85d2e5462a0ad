namespace Lifeline.Testing.Tests;

public class SmokeTests
{
    [Fact]
    public void TheLeakFrameworkIsTheAssemblysTestFramework()
    {
        var attribute = typeof(SmokeTests).Assembly.GetCustomAttributes(typeof(Lifeline.Testing.Xunit.VerifyNoLeaksAttribute), false);
        Assert.Single(attribute);
    }
}
