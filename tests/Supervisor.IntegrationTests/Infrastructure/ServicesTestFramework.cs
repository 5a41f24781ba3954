using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestFramework("Supervisor.IntegrationTests.Infrastructure.ServicesTestFramework", "Supervisor.IntegrationTests")]

namespace Supervisor.IntegrationTests.Infrastructure;

/// <summary>
/// xunit's own framework, plus what xunit 2 has no fixture for: the containers every test shares are removed once the
/// last test of the assembly has run (before the run is reported finished, so the test host is still there to do it).
/// </summary>
public sealed class ServicesTestFramework(IMessageSink messageSink) : XunitTestFramework(messageSink)
{
    protected override ITestFrameworkExecutor CreateExecutor(AssemblyName assemblyName) =>
        new Executor(assemblyName, SourceInformationProvider, DiagnosticMessageSink);

    sealed class Executor(AssemblyName assemblyName, ISourceInformationProvider sourceInformationProvider, IMessageSink diagnosticMessageSink)
        : XunitTestFrameworkExecutor(assemblyName, sourceInformationProvider, diagnosticMessageSink)
    {
#pragma warning disable VSTHRD100 // async void: the signature of the method it overrides, as in xunit's own executor
        protected override async void RunTestCases(IEnumerable<IXunitTestCase> testCases, IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
#pragma warning restore VSTHRD100
        {
            using var runner = new Runner(TestAssembly, testCases, DiagnosticMessageSink, executionMessageSink, executionOptions);
            await runner.RunAsync();
        }
    }

    sealed class Runner(ITestAssembly testAssembly, IEnumerable<IXunitTestCase> testCases, IMessageSink diagnosticMessageSink,
        IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
        : XunitTestAssemblyRunner(testAssembly, testCases, diagnosticMessageSink, executionMessageSink, executionOptions)
    {
        protected override async Task BeforeTestAssemblyFinishedAsync()
        {
            await TestEnvironment.RemoveSharedServicesAsync();
            await base.BeforeTestAssemblyFinishedAsync();
        }
    }
}
