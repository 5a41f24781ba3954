using Spectre.Console;

namespace Supervisor.Cli.Rendering;

static class Columns
{
    /// <summary>Borderless tables read like <c>docker ps</c>: two spaces between columns, none at the edges.</summary>
    public static void Spread(Table table)
    {
        foreach (var column in table.Columns)
        {
            column.Padding = new Padding(0, 0, 2, 0);
        }
    }
}
