"""Transform: the dbt project (staging views, marts tables) as Dagster assets."""
