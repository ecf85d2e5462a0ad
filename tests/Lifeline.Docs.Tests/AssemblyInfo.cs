using Lifeline.Testing.Xunit;

// Every test in this assembly runs under Lifeline's leak verifier (docs/leaks.md).
[assembly: VerifyNoLeaks]
