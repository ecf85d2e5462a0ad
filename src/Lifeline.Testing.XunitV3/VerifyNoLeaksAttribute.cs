using Lifeline.Testing.Leaks;
using Xunit.v3;

namespace Lifeline.Testing.Xunit;

/// <summary>
/// Put on an xunit.v3 test assembly (<c>[assembly: VerifyNoLeaks]</c>) to check after every test that it left no
/// async method, <c>Task.Run</c> delegate, timer or socket operation running, and to fail that test, naming
/// what it left, when it did. Attribution is per test even while xunit runs tests in parallel.
/// </summary>
/// <remarks>
/// This is the xunit.v3 attribute (package Lifeline.Testing.XunitV3); xunit 2 has its own (Lifeline.Testing.Xunit),
/// and the package's build targets fail the build of a project that references xunit 2. It is an xunit
/// test-framework attribute: an assembly may carry only one. Its options are <see cref="VerifyNoLeaksBaseAttribute"/>'s;
/// options for a class or a method come from <see cref="LeakCheckAttribute"/>. See <c>docs/leaks.md</c>.
/// </remarks>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = false)]
public sealed class VerifyNoLeaksAttribute : VerifyNoLeaksBaseAttribute, ITestFrameworkAttribute
{
    /// <inheritdoc />
    public Type FrameworkType => typeof(LeakCheckingTestFramework);
}
