using Npgsql;
using Supervisor.Service.Storage.Postgres;

namespace Supervisor.Tests.Persistence;

public sealed class DataSourceSpecs
{
    static NpgsqlConnectionStringBuilder Effective(string connectionString)
    {
        using var dataSource = PostgresStorageExtensions.CreateDataSource(connectionString);
        return new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
    }

    static int MaxAutoPrepare(string connectionString) => Effective(connectionString).MaxAutoPrepare;

    [Fact]
    public void Statements_are_prepared_automatically_by_default() =>
        Assert.Equal(64, MaxAutoPrepare("Host=127.0.0.1;Username=postgres;Database=supervisor"));

    [Fact]
    public void A_value_that_merely_contains_the_keyword_does_not_count_as_setting_it() =>
        Assert.Equal(64, MaxAutoPrepare("Host=127.0.0.1;Password=MaxAutoPrepare=1"));

    [Theory]
    [InlineData("Host=127.0.0.1;Max Auto Prepare=0", 0)]
    [InlineData("Host=127.0.0.1;MaxAutoPrepare=5", 5)]
    [InlineData("Host=127.0.0.1;max auto prepare=7", 7)]
    public void A_connection_string_that_sets_it_wins(string connectionString, int expected) =>
        Assert.Equal(expected, MaxAutoPrepare(connectionString));

    [Fact]
    public void Connections_go_back_to_the_pool_without_a_reset_by_default() =>
        Assert.True(Effective("Host=127.0.0.1;Username=postgres;Database=supervisor").NoResetOnClose);

    [Theory]
    [InlineData("Host=127.0.0.1;No Reset On Close=false")]
    [InlineData("Host=127.0.0.1;NoResetOnClose=false")]
    public void A_connection_string_that_asks_for_the_reset_gets_it(string connectionString) =>
        Assert.False(Effective(connectionString).NoResetOnClose);
}
