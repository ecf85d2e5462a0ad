using Lifeline.Testing.Leaks;

namespace Lifeline.Testing.XunitV3.Tests;

/// <summary>This assembly's own tests run under the verifier, whichever runner started them (dotnet test or the program itself).</summary>
public class IntegrationTests
{
    [Fact]
    public void EveryTest_RunsInItsOwnScope_NamedAfterIt() =>
        Assert.Equal("IntegrationTests.EveryTest_RunsInItsOwnScope_NamedAfterIt", LeakScope.Current?.Name);

    [Theory]
    [InlineData(7)]
    public void EveryTheoryRow_RunsInItsOwnScope_NamedAfterIt(int row) =>
        Assert.Equal($"IntegrationTests.EveryTheoryRow_RunsInItsOwnScope_NamedAfterIt(row: {row})", LeakScope.Current?.Name);

    [Fact]
    [LeakCheck(Enabled = false)]
    public void ATestWithItsCheckOff_StillOwnsItsWork_SoTheEndOfRunCheckDoesNotReportIt() =>
        Assert.True(LeakScope.Current?.IsOptedOut);
}
