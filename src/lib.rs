mod core; mod js;
