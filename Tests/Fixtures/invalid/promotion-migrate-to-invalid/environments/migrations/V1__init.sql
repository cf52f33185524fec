create table t (id integer);
