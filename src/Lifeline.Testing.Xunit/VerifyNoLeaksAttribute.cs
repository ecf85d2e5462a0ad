using Lifeline.Testing.Leaks;
using Xunit.Sdk;

namespace Lifeline.Testing.Xunit;

/// <summary>
/// Put on a test assembly (<c>[assembly: VerifyNoLeaks]</c>) to check after every test that it left no
/// async method, <c>Task.Run</c> delegate, timer or socket operation running, and to fail that test, naming
/// what it left, when it did. Attribution is per test even while xunit runs test classes in parallel.
/// </summary>
/// <remarks>
/// This is the xunit 2 attribute (package Lifeline.Testing.Xunit); xunit.v3 has its own (Lifeline.Testing.XunitV3).
/// xunit.v3 would ignore this one, so the package's build targets fail the build of a project that references xunit.v3. It is an xunit test-framework attribute:
/// an assembly may carry only one. Its options are <see cref="VerifyNoLeaksBaseAttribute"/>'s; options for a class or
/// a method come from <see cref="LeakCheckAttribute"/>.
/// See <c>docs/leaks.md</c>.
/// </remarks>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = false)]
[TestFrameworkDiscoverer("Lifeline.Testing.Xunit.LeakCheckingFrameworkDiscoverer", "Lifeline.Testing.Xunit")]
public sealed class VerifyNoLeaksAttribute : VerifyNoLeaksBaseAttribute, ITestFrameworkAttribute
{
}
